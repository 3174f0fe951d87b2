// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title StakeRegistry
/// @notice "Swear": a provider locks MFT behind a service agreement with one
/// client. The stake answers for the service until the agreement's term is
/// over; a court (see Court.sol) may forfeit it to the client meanwhile.
///
/// @dev Rules:
/// - stake(service, client, amount, term) moves `amount` MFT from the caller
///   (the provider, who approved this registry first) into the registry and
///   records the agreement under a new id, counted from 1. `term` is the unix
///   time at which the agreement ends; it must lie in the future.
/// - The provider gets the stake back with unstake(id) once the term is over,
///   and only while no case is open on the agreement.
/// - The court set once by the deployer (setCourt) is the only address that
///   may mark a case open or closed on an agreement, and the only one that
///   may slash it: the whole stake goes to whom the court names, for good.
/// - Nothing else moves a stake.
contract StakeRegistry {
    using SafeERC20 for IERC20;

    /// @notice Where an agreement stands. Expiry is not a status: an agreement
    /// is expired when block.timestamp >= term.
    enum Status {
        None, // no such agreement
        Staked, // the stake is held
        Unstaked, // returned to the provider after the term
        Slashed // forfeited by the court's verdict
    }

    /// @notice A service agreement and its stake.
    struct Agreement {
        address provider; // staked, and answers for the service
        uint64 term; // unix time the agreement ends
        Status status;
        bool caseOpen; // a case is open on it in the court
        address client; // may open cases; is paid the stake on a guilty verdict
        bytes32 service; // service name, UTF-8, left-aligned, zero-padded
        uint256 amount; // MFT base units staked
    }

    /// @notice The token stakes are in.
    IERC20 public immutable token;
    /// @notice The account that deployed the registry and may set the court once.
    address public immutable deployer;
    /// @notice The court (zero until set): the only address that may slash.
    address public court;
    /// @notice Number of agreements ever made; ids run from 1 to agreementCount.
    uint256 public agreementCount;
    /// @notice Agreements by id.
    mapping(uint256 => Agreement) public agreements;

    /// @notice The deployer set the court.
    event CourtSet(address court);
    /// @notice `provider` staked `amount` for agreement `id` with `client`.
    event Staked(
        uint256 indexed id,
        address indexed provider,
        address indexed client,
        bytes32 service,
        uint256 amount,
        uint64 term
    );
    /// @notice The stake of agreement `id` went back to its provider.
    event Unstaked(uint256 indexed id, address indexed provider, uint256 amount);
    /// @notice The court forfeited the stake of agreement `id` to `to`.
    event Slashed(uint256 indexed id, address indexed to, uint256 amount);

    constructor(IERC20 token_) {
        require(address(token_) != address(0), "StakeRegistry: zero token");
        token = token_;
        deployer = msg.sender;
    }

    modifier onlyCourt() {
        require(msg.sender == court && court != address(0), "StakeRegistry: caller is not the court");
        _;
    }

    /// @notice Sets the court, once, by the deployer.
    function setCourt(address court_) external {
        require(msg.sender == deployer, "StakeRegistry: caller is not the deployer");
        require(court == address(0), "StakeRegistry: court already set");
        require(court_ != address(0), "StakeRegistry: zero court");
        court = court_;
        emit CourtSet(court_);
    }

    /// @notice Locks `amount` of the caller's MFT for an agreement to provide
    /// `service` to `client` until `term` (unix seconds). The caller must
    /// have approved at least `amount` for this registry.
    /// @return id the new agreement's id.
    function stake(bytes32 service, address client, uint256 amount, uint64 term) external returns (uint256 id) {
        require(court != address(0), "StakeRegistry: no court");
        require(service != bytes32(0), "StakeRegistry: empty service");
        require(client != address(0), "StakeRegistry: zero client");
        require(client != msg.sender, "StakeRegistry: provider is the client");
        require(amount > 0, "StakeRegistry: zero amount");
        require(term > block.timestamp, "StakeRegistry: term already over");
        require(token.balanceOf(msg.sender) >= amount, "StakeRegistry: amount above balance");
        require(token.allowance(msg.sender, address(this)) >= amount, "StakeRegistry: amount above allowance");

        id = ++agreementCount;
        agreements[id] = Agreement({
            provider: msg.sender,
            term: term,
            status: Status.Staked,
            caseOpen: false,
            client: client,
            service: service,
            amount: amount
        });
        emit Staked(id, msg.sender, client, service, amount, term);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Returns the stake of agreement `id` to its provider, who alone
    /// may call it, once the term is over and no case is open.
    function unstake(uint256 id) external {
        Agreement storage a = agreements[id];
        require(a.status != Status.None, "StakeRegistry: unknown agreement");
        require(a.status == Status.Staked, "StakeRegistry: not staked");
        require(msg.sender == a.provider, "StakeRegistry: caller is not the provider");
        require(!a.caseOpen, "StakeRegistry: open case");
        require(block.timestamp >= a.term, "StakeRegistry: term not over");
        a.status = Status.Unstaked;
        emit Unstaked(id, a.provider, a.amount);
        token.safeTransfer(a.provider, a.amount);
    }

    /// @notice Whether a new case may be opened on agreement `id` now: it is
    /// staked, its term is not over and no case is open on it.
    function active(uint256 id) public view returns (bool) {
        Agreement storage a = agreements[id];
        return a.status == Status.Staked && block.timestamp < a.term && !a.caseOpen;
    }

    /// @notice Marks a case open on agreement `id`, which must be active.
    function markCaseOpen(uint256 id) external onlyCourt {
        require(active(id), "StakeRegistry: agreement not active");
        agreements[id].caseOpen = true;
    }

    /// @notice Marks the case on agreement `id` closed; the stake stays.
    function markCaseClosed(uint256 id) external onlyCourt {
        Agreement storage a = agreements[id];
        require(a.status == Status.Staked && a.caseOpen, "StakeRegistry: no open case");
        a.caseOpen = false;
    }

    /// @notice Forfeits the whole stake of agreement `id`, which must have a
    /// case open, to `to`, and closes the case.
    function slash(uint256 id, address to) external onlyCourt {
        Agreement storage a = agreements[id];
        require(a.status == Status.Staked && a.caseOpen, "StakeRegistry: no open case");
        require(to != address(0), "StakeRegistry: zero recipient");
        a.status = Status.Slashed;
        a.caseOpen = false;
        emit Slashed(id, to, a.amount);
        token.safeTransfer(to, a.amount);
    }
}
