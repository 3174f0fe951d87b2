// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title Checkbook
/// @notice A node's (the issuer's) MFT account for paying its peers with
/// cheques. A cheque is an EIP-712 signature by the issuer over
///
///     Cheque(address checkbook,address beneficiary,uint256 cumulativePayout)
///
/// in the domain {name: "Mainframe Checkbook", version: "1", chainId,
/// verifyingContract: this checkbook}. Cheques are cumulative: each one
/// states the total ever owed to its beneficiary, so only the newest one
/// matters and cashing pays the difference to what was already paid.
///
/// @dev Rules:
/// - Anyone may submit a cheque; the tokens always go to its beneficiary.
/// - A cheque whose cumulativePayout is not above what the beneficiary was
///   already paid reverts with "Checkbook: cheque already cashed", so cashing
///   the same cheque twice pays nothing and changes nothing.
/// - Hard deposits: the issuer sets part of the balance aside for one
///   beneficiary (increaseHardDeposit). A cheque pays from its beneficiary's
///   hard deposit first and then from the liquid balance (what no hard
///   deposit holds). Nothing else can touch a hard deposit: withdrawals and
///   cheques to other beneficiaries (the issuer itself, or a second address
///   of its own) reach the liquid balance only. Lowering a hard deposit takes
///   an announcement and noticePeriod seconds, so a cheque covered by a hard
///   deposit stays good for at least the notice period: that is the
///   checkbook's only guarantee to a beneficiary.
/// - When the checkbook cannot pay a cheque in full from the beneficiary's
///   hard deposit and the liquid balance, it pays what it can and the rest
///   bounces: ChequeBounced is emitted, `bounced` becomes true for good,
///   `bounceCount` grows, and the unpaid rest is readable in
///   `bouncedOf(beneficiary)` and `totalBounced`. Presenting the same cheque
///   again after the checkbook was refilled pays the rest; presenting it again
///   while nothing is available to the beneficiary reverts with
///   "Checkbook: nothing to pay".
/// - The issuer withdraws liquid balance only, after announcing the amount
///   and waiting `noticePeriod` seconds. The wait warns peers; it guarantees
///   nothing, since a cheque to the issuer itself reaches the same liquid
///   balance at once.
contract Checkbook is EIP712 {
    using SafeERC20 for IERC20;

    /// @notice EIP-712 type hash of a cheque.
    bytes32 public constant CHEQUE_TYPEHASH =
        keccak256("Cheque(address checkbook,address beneficiary,uint256 cumulativePayout)");

    /// @notice The token this checkbook pays in.
    IERC20 public immutable token;
    /// @notice The node whose signature makes a cheque good; also the owner.
    address public immutable issuer;
    /// @notice Seconds between an announcement (of a withdrawal, or of a hard
    /// deposit decrease) and the earliest moment it may be carried out.
    uint256 public immutable noticePeriod;

    /// @notice Total paid so far to each beneficiary.
    mapping(address => uint256) public paidOut;
    /// @notice Highest cumulativePayout each beneficiary has presented.
    mapping(address => uint256) public presented;
    /// @notice Total paid to all beneficiaries.
    uint256 public totalPaidOut;
    /// @notice Sum over beneficiaries of presented minus paid: what the
    /// checkbook owes on cheques that bounced and were not made good since.
    uint256 public totalBounced;
    /// @notice Number of times a cheque bounced.
    uint256 public bounceCount;
    /// @notice True once any cheque has bounced; never reset.
    bool public bounced;

    /// @notice Tokens set aside for each beneficiary: only its cheques can
    /// spend them.
    mapping(address => uint256) public hardDeposit;
    /// @notice Sum of all hard deposits.
    uint256 public totalHardDeposit;
    /// @notice Announced decrease of each beneficiary's hard deposit (0: none).
    mapping(address => uint256) public decreaseAmount;
    /// @notice Time after which the announced decrease may be made.
    mapping(address => uint256) public decreaseAfter;

    /// @notice Amount of the pending withdrawal (0: none).
    uint256 public withdrawAmount;
    /// @notice Time after which the pending withdrawal may be made.
    uint256 public withdrawAfter;

    /// @notice A cheque paid `paid` tokens (> 0) to `beneficiary`.
    event ChequeCashed(address indexed beneficiary, uint256 cumulativePayout, uint256 paid);
    /// @notice A cheque could not be paid in full: `paid` went out, `bounced` did not.
    event ChequeBounced(address indexed beneficiary, uint256 cumulativePayout, uint256 paid, uint256 bounced);
    /// @notice `from` deposited `amount` through deposit().
    event Deposited(address indexed from, uint256 amount);
    /// @notice The issuer announced a withdrawal of `amount`, possible from `notBefore`.
    event WithdrawAnnounced(uint256 amount, uint256 notBefore);
    /// @notice The issuer withdrew `amount`.
    event Withdrawn(uint256 amount);
    /// @notice The hard deposit of `beneficiary` is now `amount`.
    event HardDepositChanged(address indexed beneficiary, uint256 amount);
    /// @notice The issuer announced lowering the hard deposit of `beneficiary`
    /// by `amount`, possible from `notBefore`.
    event HardDepositDecreaseAnnounced(address indexed beneficiary, uint256 amount, uint256 notBefore);

    constructor(IERC20 token_, address issuer_, uint256 noticePeriod_) EIP712("Mainframe Checkbook", "1") {
        require(address(token_) != address(0), "Checkbook: zero token");
        require(issuer_ != address(0), "Checkbook: zero issuer");
        token = token_;
        issuer = issuer_;
        noticePeriod = noticePeriod_;
    }

    /// @notice Tokens the checkbook holds.
    function balance() public view returns (uint256) {
        return token.balanceOf(address(this));
    }

    /// @notice Tokens no hard deposit holds: what withdrawals and cheques
    /// beyond their beneficiary's hard deposit can reach.
    function liquidBalance() public view returns (uint256) {
        uint256 held = balance();
        return held > totalHardDeposit ? held - totalHardDeposit : 0;
    }

    /// @notice What a cheque to `beneficiary` can draw at most right now: its
    /// hard deposit plus the liquid balance.
    function availableTo(address beneficiary) public view returns (uint256) {
        return liquidBalance() + hardDeposit[beneficiary];
    }

    /// @notice What presented cheques left unpaid for `beneficiary`.
    function bouncedOf(address beneficiary) external view returns (uint256) {
        return presented[beneficiary] - paidOut[beneficiary];
    }

    /// @notice The EIP-712 digest the issuer signs for a cheque.
    function chequeDigest(address beneficiary, uint256 cumulativePayout) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CHEQUE_TYPEHASH, address(this), beneficiary, cumulativePayout)));
    }

    /// @notice Pays `beneficiary` what the issuer's cheque for `cumulativePayout`
    /// adds to what was already paid, or as much of it as the checkbook holds.
    /// @param signature 65 bytes r || s || v with v 27 or 28 and low s.
    function cashCheque(address beneficiary, uint256 cumulativePayout, bytes calldata signature) external {
        (address signer, ECDSA.RecoverError err,) =
            ECDSA.tryRecoverCalldata(chequeDigest(beneficiary, cumulativePayout), signature);
        require(err == ECDSA.RecoverError.NoError && signer == issuer, "Checkbook: invalid cheque signature");

        uint256 paid = paidOut[beneficiary];
        require(cumulativePayout > paid, "Checkbook: cheque already cashed");
        uint256 due = cumulativePayout - paid;
        uint256 held = availableTo(beneficiary);
        uint256 pay = due < held ? due : held;
        uint256 seen = presented[beneficiary];
        require(pay > 0 || cumulativePayout > seen, "Checkbook: nothing to pay");
        _drawHardDeposit(beneficiary, pay);

        uint256 owedBefore = seen - paid;
        if (cumulativePayout > seen) {
            presented[beneficiary] = seen = cumulativePayout;
        }
        paidOut[beneficiary] = paid + pay;
        totalPaidOut += pay;
        totalBounced = totalBounced - owedBefore + (seen - paid - pay);

        if (pay > 0) {
            emit ChequeCashed(beneficiary, cumulativePayout, pay);
        }
        if (pay < due) {
            bounced = true;
            bounceCount += 1;
            emit ChequeBounced(beneficiary, cumulativePayout, pay, due - pay);
        }
        if (pay > 0) {
            token.safeTransfer(beneficiary, pay);
        }
    }

    /// @dev Takes what a cheque pays from its beneficiary's hard deposit
    /// first: that part is the beneficiary's alone.
    function _drawHardDeposit(address beneficiary, uint256 pay) private {
        uint256 hard = hardDeposit[beneficiary];
        uint256 fromHard = pay < hard ? pay : hard;
        if (fromHard == 0) {
            return;
        }
        hard -= fromHard;
        hardDeposit[beneficiary] = hard;
        totalHardDeposit -= fromHard;
        if (decreaseAmount[beneficiary] > hard) {
            decreaseAmount[beneficiary] = hard;
        }
        emit HardDepositChanged(beneficiary, hard);
    }

    /// @notice Moves `amount` tokens from the caller into the checkbook; the
    /// caller must have approved it first. A plain ERC20 transfer works too.
    function deposit(uint256 amount) external {
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit Deposited(msg.sender, amount);
    }

    /// @notice Sets `amount` more of the liquid balance aside for
    /// `beneficiary`. Issuer only; takes effect at once.
    function increaseHardDeposit(address beneficiary, uint256 amount) external {
        require(msg.sender == issuer, "Checkbook: caller is not the issuer");
        require(beneficiary != address(0), "Checkbook: zero beneficiary");
        require(amount <= liquidBalance(), "Checkbook: hard deposit above the liquid balance");
        uint256 hard = hardDeposit[beneficiary] + amount;
        hardDeposit[beneficiary] = hard;
        totalHardDeposit += amount;
        emit HardDepositChanged(beneficiary, hard);
    }

    /// @notice Announces lowering the hard deposit of `beneficiary` by
    /// `amount`, possible after noticePeriod seconds; replaces any earlier
    /// announcement for that beneficiary and restarts the wait. Announcing 0
    /// cancels.
    function announceHardDepositDecrease(address beneficiary, uint256 amount) external {
        require(msg.sender == issuer, "Checkbook: caller is not the issuer");
        require(amount <= hardDeposit[beneficiary], "Checkbook: decrease above the hard deposit");
        decreaseAmount[beneficiary] = amount;
        decreaseAfter[beneficiary] = block.timestamp + noticePeriod;
        emit HardDepositDecreaseAnnounced(beneficiary, amount, decreaseAfter[beneficiary]);
    }

    /// @notice Makes the announced decrease of the hard deposit of
    /// `beneficiary` once the notice period is over: the tokens go back to
    /// the liquid balance. Issuer only.
    function decreaseHardDeposit(address beneficiary) external {
        require(msg.sender == issuer, "Checkbook: caller is not the issuer");
        uint256 amount = decreaseAmount[beneficiary];
        require(amount > 0, "Checkbook: no decrease announced");
        require(block.timestamp >= decreaseAfter[beneficiary], "Checkbook: notice period not over");
        uint256 hard = hardDeposit[beneficiary];
        if (amount > hard) {
            amount = hard;
        }
        hard -= amount;
        hardDeposit[beneficiary] = hard;
        totalHardDeposit -= amount;
        decreaseAmount[beneficiary] = 0;
        decreaseAfter[beneficiary] = 0;
        emit HardDepositChanged(beneficiary, hard);
    }

    /// @notice Announces a withdrawal of `amount`, possible after noticePeriod
    /// seconds; replaces any earlier announcement and restarts the wait.
    /// Announcing 0 cancels.
    function announceWithdraw(uint256 amount) external {
        require(msg.sender == issuer, "Checkbook: caller is not the issuer");
        withdrawAmount = amount;
        withdrawAfter = block.timestamp + noticePeriod;
        emit WithdrawAnnounced(amount, withdrawAfter);
    }

    /// @notice Sends the announced amount, or the liquid balance if that is
    /// less, to the issuer once the notice period is over. Hard deposits
    /// stay.
    function withdraw() external {
        require(msg.sender == issuer, "Checkbook: caller is not the issuer");
        uint256 amount = withdrawAmount;
        require(amount > 0, "Checkbook: no withdrawal announced");
        require(block.timestamp >= withdrawAfter, "Checkbook: notice period not over");
        uint256 held = liquidBalance();
        if (amount > held) {
            amount = held;
        }
        withdrawAmount = 0;
        withdrawAfter = 0;
        emit Withdrawn(amount);
        token.safeTransfer(issuer, amount);
    }
}
