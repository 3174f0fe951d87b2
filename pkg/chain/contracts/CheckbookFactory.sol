// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Checkbook} from "./Checkbook.sol";

/// @title CheckbookFactory
/// @notice Deploys checkbooks in one token and remembers them, so that a peer
/// can check that a checkbook it is paid from runs the genuine code:
/// deployedBy(checkbook) is true only for checkbooks this factory created.
contract CheckbookFactory {
    /// @notice The token every checkbook of this factory pays in.
    IERC20 public immutable token;
    /// @notice True for each checkbook this factory deployed.
    mapping(address => bool) public deployedBy;
    /// @notice The current checkbook of an issuer (zero: none).
    mapping(address => address) public checkbookOf;

    /// @notice A checkbook for `issuer` was deployed at `checkbook`.
    event CheckbookDeployed(address indexed issuer, address checkbook);

    constructor(IERC20 token_) {
        require(address(token_) != address(0), "CheckbookFactory: zero token");
        token = token_;
    }

    /// @notice Deploys a checkbook owned by the caller with the given notice
    /// period in seconds, and makes it checkbookOf(caller). Nobody can deploy
    /// a checkbook for somebody else: the issuer alone chooses its checkbook
    /// and its notice period, which its creditors then judge (a hard deposit
    /// is worth the wait its decrease takes).
    function deploy(uint256 noticePeriod) external returns (address) {
        Checkbook cb = new Checkbook(token, msg.sender, noticePeriod);
        address addr = address(cb);
        address issuer = msg.sender;
        deployedBy[addr] = true;
        checkbookOf[issuer] = addr;
        emit CheckbookDeployed(issuer, addr);
        return addr;
    }
}
